from django.contrib import admin

from .models import PaperFill, PaperOrder


class PaperFillInline(admin.TabularInline):
    model = PaperFill
    fields = ("executed_at", "quantity", "price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaperOrder)
class PaperOrderAdmin(admin.ModelAdmin):
    """The simulated exchange's own book: what the 'broker' knows. Read-only."""

    list_display = ("id", "tag", "account_id", "instrument", "side", "quantity", "order_type", "price", "status")
    list_filter = ("status", "order_type", "side")
    search_fields = ("tag", "=account_id", "instrument__symbol")
    list_select_related = ("instrument",)
    readonly_fields = [f.name for f in PaperOrder._meta.fields]
    inlines = [PaperFillInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
