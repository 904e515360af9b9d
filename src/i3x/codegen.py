"""The plant's own types as Python types (needs the `codegen` extra).

`generate()` writes the source of a Python module with a pydantic model per object type
whose schema describes a structured value, and `MODELS`, which maps every type's element
id to the Python type of its values; `i3x codegen --out plant.py` does the same from
the command line:

    import i3x
    import i3x.codegen

    with i3x.Client("http://localhost:8080") as client:
        source = i3x.codegen.generate(client.get_object_types(), source=client.base_url)
        plant = i3x.codegen.load(source)      # or write it to plant.py and import it
        setpoint = client.get_value("tank-201-setpoint").value_as(plant.TemperatureSetpoint)

`pip install "i3x-client[codegen]"` brings datamodel-code-generator, which writes the
models; `import i3x.codegen` itself does not import it.
"""

from ._codegen import generate, load

__all__ = ["generate", "load"]
