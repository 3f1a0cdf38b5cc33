"""SmartAPI's answer shapes, as the fake sends them."""

from aiohttp import web


def ok(data) -> web.Response:
    return web.json_response({"status": True, "message": "SUCCESS", "errorcode": "", "data": data})


def fail(code: str, message: str, *, strings: bool = False, status: int = 200) -> web.Response:
    if strings:  # the quirky variant: booleans and null as strings
        body = {"status": "false", "message": message, "errorcode": code, "data": "null"}
    else:
        body = {"status": False, "message": message, "errorcode": code, "data": None}
    return web.json_response(body, status=status)


def token_error(code: str, message: str) -> web.Response:
    return web.json_response({"success": False, "message": message, "errorCode": code, "data": ""}, status=401)
