"""Built-in plugins, written exactly as a third-party plugin would be; reached only by module
name through ``plugins.DEFAULT_PLUGINS``."""
