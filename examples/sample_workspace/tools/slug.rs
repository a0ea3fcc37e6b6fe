/// Turn a title into a lowercase, dash-separated URL slug.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for ch in title.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
            dash = false;
        } else if !dash && !slug.is_empty() {
            slug.push('-');
            dash = true;
        }
    }
    slug.trim_end_matches('-').to_string()
}

pub struct Counter {
    count: u64,
}

impl Counter {
    /// Increase the counter by one and return the new value.
    pub fn bump(&mut self) -> u64 {
        self.count += 1;
        self.count
    }
}
