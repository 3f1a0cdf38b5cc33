"""The trader's shell: the layout, navigation, context processors and the pages that belong to no single
domain. It shows every app; no app imports it."""
