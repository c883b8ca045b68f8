"""Tasks, workflows and launch plans of my-ml-project (plain flowctl code, runnable with `flowctl run`)."""
