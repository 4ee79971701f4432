"""The library's own module structure: no object changes its class after creation. (That no import
circle exists between the modules is tests/test_import_graph.py.)"""
import ast

from tests.conftest import REPO
from tests.test_import_graph import project_modules


def test_no_class_assignment_in_library_code():
    offenders = []
    for path in project_modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Attribute) and t.attr == "__class__" for t in targets):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
