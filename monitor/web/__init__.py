"""Monitor's HTTP front ends (for now the WebSub callback endpoint)."""
