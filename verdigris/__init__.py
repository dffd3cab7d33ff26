"""verdigris: a self-hosted, wire-compatible Copper CRM Developer API for Leads."""

__version__ = "0.1.0"
