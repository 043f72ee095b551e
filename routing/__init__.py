"""Collection route planning and waste-to-energy estimates."""
