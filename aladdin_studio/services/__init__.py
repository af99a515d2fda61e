"""Services: the business logic every front end (editor, CLI, API) calls."""
