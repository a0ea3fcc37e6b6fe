package tools;

import java.util.ArrayList;
import java.util.List;

/** Splits source text into word tokens. */
public class Tokenizer {
    private final String text;

    public Tokenizer(String text) {
        this.text = text;
    }

    /** Return the words of the text, dropping punctuation. */
    public List<String> words() {
        List<String> out = new ArrayList<>();
        for (String part : text.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }
}
