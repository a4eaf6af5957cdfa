"""Workers: profiles, qualifications and their tests, and who may work on what."""
