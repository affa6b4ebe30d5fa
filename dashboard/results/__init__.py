"""The results page (/results): campaigns, weekly rounds and what the visits of a period found."""
