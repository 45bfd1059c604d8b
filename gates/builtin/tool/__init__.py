"""Tool gates: any command a team already trusts, declared in the config (`kind = "tool"`)."""
