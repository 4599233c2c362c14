"""Mail: composing messages with plain-text and HTML bodies, and sending them over SMTP.

Only jobs send mail, through `deliver_once`, so a mail follows the outbox
like every other effect and a re-delivered job sends nothing twice. A mail
that carries a secret (a verification, reset or invite token) is composed by
the job that mints the secret: the secret is never in an outbox payload, a
job's arguments or a log line.
"""
