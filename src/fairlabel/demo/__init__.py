"""Deterministic demo data drawn by code, so a fresh install can show every widget offline.

Each generator takes a seed and never downloads anything: the same seed gives the same data.
"""

from fairlabel.demo.scenes import SHAPE_LABELS, Scene, SceneObject, generate_scene, generate_scenes
from fairlabel.demo.tickets import (
    CATEGORIES,
    ENTITY_LABELS,
    PRIORITIES,
    Entity,
    Ticket,
    generate_ticket,
    generate_tickets,
)

__all__ = [
    "CATEGORIES",
    "ENTITY_LABELS",
    "PRIORITIES",
    "SHAPE_LABELS",
    "Entity",
    "Scene",
    "SceneObject",
    "Ticket",
    "generate_scene",
    "generate_scenes",
    "generate_ticket",
    "generate_tickets",
]
