"""An Akeneo PIM App: see README.md to run, test and deploy it."""

APP_NAME = {{ cookiecutter.project_name | tojson }}
__version__ = "0.1.0"
USER_AGENT = f"{{ cookiecutter.project_slug }}/{__version__} (Akeneo App)"
