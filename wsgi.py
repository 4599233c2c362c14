"""WSGI entry point: `gunicorn wsgi:app` (and `flask --app wsgi …`)."""
from marketplace import create_app
from workers.move_drain import install_move_drain
from workers.relay import install_commit_relay_if_enabled

app = create_app()
install_commit_relay_if_enabled(app.config)
install_move_drain()
