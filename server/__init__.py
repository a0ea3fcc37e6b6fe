"""Language server (pygls): thin feature handlers over the engines. Built in the server issue."""
