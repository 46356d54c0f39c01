//! Virtual authenticators, scenario drivers and the scenario runner.
