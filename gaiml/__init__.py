"""gaiml: verified figures from government information-disclosure annual reports."""
