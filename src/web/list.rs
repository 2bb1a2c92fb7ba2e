//! The list pattern's paging: which page of a filtered list to show (the one holding a
//! focused row, else the requested one), and the links to every page keeping the filter.

/// One page of a list of `total` rows, `per_page` at a time.
pub struct Pager {
    pub page: usize,
    pub pages: usize,
    per_page: usize,
    /// The list's URL with its filter (`?…` included when there is one).
    base: String,
}

impl Pager {
    /// `focused`: the index of a row to show (its page wins over `requested`, a page
    /// number as typed; anything else means the first page). `path` and `filter` (pairs
    /// with an empty value are left out) make the page links.
    pub fn new(
        total: usize,
        per_page: usize,
        requested: &str,
        focused: Option<usize>,
        path: &str,
        filter: &[(&str, &str)],
    ) -> Pager {
        let pages = total.div_ceil(per_page.max(1)).max(1);
        let page = match focused {
            Some(i) => i / per_page.max(1) + 1,
            None => requested.trim().parse::<usize>().unwrap_or(1),
        }
        .clamp(1, pages);
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in filter {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        let q = q.finish();
        let base = if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        };
        Pager {
            page,
            pages,
            per_page: per_page.max(1),
            base,
        }
    }

    /// The rows of this page out of the whole filtered list.
    pub fn slice<T>(&self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter()
            .skip((self.page - 1) * self.per_page)
            .take(self.per_page)
            .collect()
    }

    /// The URL of page `n`, keeping the filter.
    pub fn url(&self, n: &usize) -> String {
        if *n <= 1 {
            return self.base.clone();
        }
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}page={n}", self.base)
    }

    pub fn numbers(&self) -> Vec<usize> {
        (1..=self.pages).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Pager;

    #[test]
    fn pages_keep_the_filter_and_find_the_focused_row() {
        let p = Pager::new(120, 50, "9", None, "/x", &[("q", "a b"), ("s", "")]);
        assert_eq!((p.page, p.pages), (3, 3));
        assert_eq!(p.url(&1), "/x?q=a+b");
        assert_eq!(p.url(&2), "/x?q=a+b&page=2");
        assert_eq!(p.slice((0..120).collect()), (100..120).collect::<Vec<_>>());
        let p = Pager::new(120, 50, "3", Some(60), "/x", &[]);
        assert_eq!(p.page, 2);
        assert_eq!(p.url(&2), "/x?page=2");
        let p = Pager::new(0, 50, "junk", None, "/x", &[]);
        assert_eq!((p.page, p.pages), (1, 1));
    }
}
