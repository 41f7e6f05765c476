"""`mlops demo`: the whole lifecycle on one machine, on an embedded platform."""
