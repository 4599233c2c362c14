"""Notifications to users (welcome, approvals, order news), recorded and delivered by jobs."""
