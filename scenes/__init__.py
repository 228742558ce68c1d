"""Scene modules, one per notebook chapter (see cnnviz.registry for the catalog)."""
