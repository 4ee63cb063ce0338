"""API routes, one module per resource; each route names its policy action."""
