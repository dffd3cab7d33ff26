"""Pure rules of the Leads domain: no I/O, no HTTP."""
