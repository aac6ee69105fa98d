"""Discord glue: read the interaction, call a service, render the answer."""
