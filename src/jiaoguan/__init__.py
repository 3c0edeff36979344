"""Jiaoguan (智慧交管平台): a smart traffic police platform."""

__version__ = "0.1.0"
