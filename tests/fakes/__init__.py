"""Fakes of outside services, speaking their real protocols on loopback."""
