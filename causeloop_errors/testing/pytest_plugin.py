"""pytest plugin of causeloop_errors, loaded through the ``pytest11`` entry point."""
