"""SaaS plans (operators define them and move sellers between them) and the invoices of their fees."""
