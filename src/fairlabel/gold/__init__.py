"""Gold tasks: known answers, served hidden among ordinary work, that measure workers."""
