"""Quality as statistics: agreement between workers and consensus from their answers.

`aggregation` and `agreement` are pure NumPy/SciPy functions on integer-coded arrays; the
service layer maps database ids to codes and stores the results."""
