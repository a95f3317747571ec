"""Python tooling around the retention warehouse: data generation, CLV fitting, validation."""
