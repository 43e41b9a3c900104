"""OpenAPI post-processing: what drf-spectacular cannot infer on its own."""

PATH_PARAMETERS = {
    "measures": "Key of the measure, e.g. cn-mofcom-2025-62.",
    "materials": "Slug of the material or group, e.g. dysprosium.",
    "jurisdictions": "ISO 3166-1 alpha-2 or bloc code of the jurisdiction, e.g. CN.",
    "authorities": "Slug of the authority, e.g. mofcom.",
    "sectors": "Slug of the sector, e.g. electric-vehicles.",
}


def describe_path_parameters(result, generator, request, public):
    """Describe each resource's lookup parameter (key, slug or code) in the path."""
    for path, operations in result.get("paths", {}).items():
        resource = path.removeprefix("/api/v1/").split("/")[0]
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and not parameter.get("description"):
                    parameter["description"] = PATH_PARAMETERS[resource]
    return result
