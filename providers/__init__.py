"""Where task attempts run and what exists outside the registry: local, kubernetes."""
