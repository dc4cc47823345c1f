"""The gates a candidate passes before it may touch a module (`judge`), the questions three of
them ask (`signatures`, `placeholders`, `undefined`), and carrying a verdict onto a newer text
(`rebase`). Pure functions over text."""
