"""The data inventory (issue 18): every stored field declared with what it holds, who can read it
and when it is deleted, and the privacy documents generated from it (`make privacy-docs`)."""
