"""Example journeys of the README's "Write your own journey" (not in the shipped catalog)."""
