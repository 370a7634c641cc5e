"""Custom actions of the assistant, discovered by rasa-sdk's ``register_package``.

One feature per sub-package, one action per module.  Modules do no work when
imported: content and connections are opened on first use.
"""
