"""The sample cluster: a tool-library app (app/) and its agent branches (branches/)."""
