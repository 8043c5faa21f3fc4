"""The Pulumi program's components: one module per concern (see DESIGN.md section 2)."""
