"""Materials database: cited data files and the temperature laws of regolith."""
from .database import get_material, list_materials, load_file, user_dir
from .record import Material, Value

__all__ = ["Material", "Value", "get_material", "list_materials", "load_file", "user_dir"]
