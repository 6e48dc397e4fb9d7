"""Monitor's HTTP front end: the web UI, the REST API, the WebSub and Slack endpoints."""
