"""Due process: appeals, sanctions, notices, feedback and the audit trail."""
