"""What the tests share: helpers, clients, servers and apps (docs/development.md, Tests)."""
