"""Fixtures of the publish tests: the Azure Blob emulator (Azurite) for the Azure target."""

from .azurite import azurite, azurite_server  # noqa: F401 - fixtures, used by name
