"""`reconcile serve`: the steward console, a small server-rendered web app over the same decisions store and
deciding logic as the CLI (see `app` for the routes, `security` for the guards, `queries` for the page data)."""
