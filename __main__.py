"""Root Pulumi program (`pulumi up -s <stack>`): validate the stack config, then declare the platform."""

import pulumi

from components.platform import PlatformSecrets
from components.program import program
from mlops.config.loader import CONFIG_KEY, validate_platform_config
from mlops.errors import BadInputError

settings = pulumi.Config()
try:
    config = validate_platform_config(
        settings.require_object("platform"),
        source=f"stacks/Pulumi.{pulumi.get_stack()}.yaml: {CONFIG_KEY}",
    )
except BadInputError as error:
    raise pulumi.RunError(str(error)) from None

program(config, PlatformSecrets(oidc_client_secret=settings.require_secret("oidc_client_secret")))
