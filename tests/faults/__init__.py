"""Fault injection: processes killed with SIGKILL under load, in the production shape too."""
