"""Business rules. Views, API, CLI and jobs call these; one call is one transaction."""
