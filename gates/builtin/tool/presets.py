"""Presets: the usual way to run the tools a TypeScript or Python team already trusts.

`preset = "eslint"` in a `kind = "tool"` section fills in the keys the section leaves
out (gates.builtin.tool.spec). Each is documented with its config block in the
README ("Tool gates").
"""

from __future__ import annotations

from typing import Any

JS_FILES = ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts", "**/*.js", "**/*.jsx", "**/*.mjs",
            "**/*.cjs"]
NODE_CONFIG = ["package.json", "package-lock.json", "tsconfig.json"]

PRESETS: dict[str, dict[str, Any]] = {
    # ESLint with the repo's flat config (the base's), on each changed file
    "eslint": {
        "command": ["npx", "--no-install", "eslint", "--format", "json", "--no-warn-ignored",
                    "--no-inline-config",
                    "{files}"],
        "format": "eslint",
        "files": JS_FILES,
        "per_file": True,
        "config_files": ["eslint.config.js", "eslint.config.mjs", "eslint.config.cjs",
                         "eslint.config.ts", "eslint.config.mts", *NODE_CONFIG],
        "link": ["node_modules"],
    },
    # the TypeScript compiler on the whole project, branch and base
    "tsc": {
        "command": ["npx", "--no-install", "tsc", "--noEmit", "--pretty", "false", "-p", "."],
        "format": "tsc",
        "files": ["**/*.ts", "**/*.tsx", "**/*.mts", "**/*.cts", "tsconfig*.json"],
        "per_file": False,
        "config_files": NODE_CONFIG,
        "link": ["node_modules"],
    },
    # mypy on the whole tree (types cross files), with the base's mypy config
    "mypy": {
        "command": ["mypy", "--output", "json", "--no-error-summary", "--hide-error-context",
                    "."],
        "format": "mypy",
        "files": ["**/*.py", "**/*.pyi"],
        "per_file": False,
        "config_files": ["mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"],
    },
    # any command that writes SARIF 2.1.0 (Trivy, CodeQL, Semgrep …): give its command
    "sarif": {
        "format": "sarif",
    },
}
